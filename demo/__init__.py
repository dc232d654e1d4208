"""`aduan demo` and the fakes it ships: a fake Facebook page and a local LAPOR! simulator."""
