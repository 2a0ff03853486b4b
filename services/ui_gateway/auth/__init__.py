"""Sign-in and permissions of the gateway: who is asking, and whether their role allows it."""
