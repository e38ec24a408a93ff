"""The pipeline's stages, each one module with its batch function and its declaration
(``contract.Stage``): ingest (+ transpile), catalog, thoughts, and gates over samples (``gate``).
The flow (flows/build_bench.py) runs them in order."""
