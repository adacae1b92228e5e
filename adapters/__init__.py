"""Platform adapters: pure translations between a platform and the neutral vocabulary."""
