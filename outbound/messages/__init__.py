"""SMS and voice messages: text and cost, the outbox, sending through channels/ at a rate,
receipts and replies, the customer's score. May import: errors through contact and staff."""
