"""Reference data of the network and the demo member generator."""
