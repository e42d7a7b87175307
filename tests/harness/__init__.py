"""What the tests share: the station harness, processes, HTTP, configs, servers. No test
imports another test module; they import from here."""
