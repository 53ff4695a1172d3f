"""The crm360 benchmark: stage times, peak memory, reference timings and scaling (`crm360 bench`)."""
