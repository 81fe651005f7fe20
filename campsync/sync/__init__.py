"""The sync: the platform inventory, planning (matching and diffing), plans and saved plans,
applying, the local cache, and the engine that runs them in order."""
