"""Use cases named <entity>_<action>; they take plain arguments, never a request."""
