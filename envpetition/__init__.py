"""EnvPetition: environmental complaint monitoring and dispatch (shared shell)."""

LOCAL_TZ_NAME = "Asia/Shanghai"
