"""What the integration tests and the benchmark share: the playbook runner and its results callback,
the provider profiles, and the reliability figures."""
