def display_name(user) -> str:
    """Chinese order: family name then given name, no space; the user name as fallback."""
    if user is None:
        return "—"
    full = f"{user.last_name}{user.first_name}".strip()
    return full or user.get_username()
