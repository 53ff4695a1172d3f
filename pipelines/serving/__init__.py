"""The serving copy: what analysts and BI tools read while the pipeline writes the working warehouse."""
