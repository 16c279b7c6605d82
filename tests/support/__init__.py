"""What tests share beyond fixtures: the service under test on a loopback port, free ports, subprocesses."""
