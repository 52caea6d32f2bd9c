"""The web app: Twilio's webhooks now; pages for agents and supervisors later."""
