-- Argo CD health of an sds-operator flow or flow set, read from the conditions the operator writes
-- (Ready, Synced, Reconciling, Stalled) and its pause annotation. Written for Argo CD's sandbox:
-- base and table libraries only, no string library.
local hs = { status = "Progressing", message = "Waiting for sds-operator to process the resource" }

local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function said(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

local annotations = obj.metadata.annotations or {}
if annotations["industrydata.sds-operator.io/paused"] == "true" then
  hs.status = "Suspended"
  hs.message = "Paused (industrydata.sds-operator.io/paused): no Graph call is made until the annotation is removed"
  return hs
end

-- The operator has not seen this generation of the spec yet: nothing below is about it.
local observed = obj.status and obj.status.observedGeneration or 0
if obj.metadata.generation ~= nil and observed < obj.metadata.generation then
  return hs
end

local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = said(stalled, "Stalled: a person must act")
  return hs
end

-- A failed sync is reported even while Ready still holds: Ready must never hide it.
local synced = condition("Synced")
if synced ~= nil and synced.status == "False" then
  hs.message = said(synced, "The last sync with Microsoft Graph failed; the operator retries")
  return hs
end

local ready = condition("Ready")
if ready ~= nil and ready.status == "False" and ready.reason == "Disabled" then
  hs.status = "Suspended"
  hs.message = said(ready, "SDS has not enabled the flow")
  return hs
end

local reconciling = condition("Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.message = said(reconciling, "Work is in flight")
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = said(ready, "Ready")
  return hs
end

if ready ~= nil then
  hs.message = said(ready, hs.message)
end
return hs
