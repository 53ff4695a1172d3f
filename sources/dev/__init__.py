"""Development tools (simulator, loopback web API, public benchmarks); a deployment never imports them."""
