"""placeholder"""

def seed_demo() -> str:
    raise NotImplementedError
