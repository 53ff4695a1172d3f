"""Public labelled benchmarks written as feed files: the pipeline measured on data it did not make."""
