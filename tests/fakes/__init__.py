"""Local FAKE servers speaking each platform's protocol on 127.0.0.1 (tests only, no internet).

Each is a ``tests.fakes.fault_server.FaultServer`` (start/stop, context manager, ``url``,
``faults``) serving the recorded fixtures under tests/fixtures/<platform>/.
"""
