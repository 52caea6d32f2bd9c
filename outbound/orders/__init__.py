"""The work orders' closed loop: outcomes recorded, deadlines watched, the agents' lists and the
supervisors' moves. May import: errors through messages (a reached call asks for a score)."""
