"""The web app: pages for agents, supervisors, marketing staff and admins, the JSON API and
Twilio's webhooks. May import: every package but cli."""
