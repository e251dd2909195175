"""Tables of this peer (and of its sandbox, named Sandbox…)."""
