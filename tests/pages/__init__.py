"""Pages the skill tests serve, and the tiny server that serves them."""
