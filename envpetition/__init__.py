"""EnvPetition: environmental complaint monitoring and dispatch (shared shell)."""
