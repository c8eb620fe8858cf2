-- Up Migration

-- The organization-wide call budget of a vendor API, shared by every worker (src/integrations/call-budget.ts).
-- One row per (integration, scope): the time the next call may go out. A caller takes the slot at
-- greatest(next_free_at, now) and moves next_free_at one call's interval on, so calls of all workers and runs
-- together are spaced at the budget.
CREATE TABLE api_call_budgets (
  integration      text NOT NULL,
  -- The vendor's unit of limiting: the ZOHO organization id.
  scope            text NOT NULL,
  next_free_at     timestamptz NOT NULL,
  -- The slot given to the last caller; NULL when it was refused (its wait would have been too long).
  reserved_slot_at timestamptz,
  PRIMARY KEY (integration, scope)
);

-- Down Migration

DROP TABLE api_call_budgets;
