"""Local FAKE servers speaking each platform's protocol on 127.0.0.1 (tests only, no internet).

Each is a ``harvester.fake_server.FakeServer`` (start/stop, context manager, ``url``, ``faults``)
serving the recorded fixtures under tests/fixtures/<platform>/.
"""
