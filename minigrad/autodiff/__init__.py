"""The autodiff machinery: grad modes, the recorded graph and the reverse sweep."""
