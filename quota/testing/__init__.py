"""What tests, benchmarks and the demo use and the library does not: the synthetic data generator."""
