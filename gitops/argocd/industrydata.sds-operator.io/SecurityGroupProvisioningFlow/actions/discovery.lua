-- The actions Argo CD offers for an sds-operator flow.
local actions = {}
-- A paused flow sends nothing to Graph: the reset would only wait, so it is not offered.
local annotations = obj.metadata.annotations or {}
actions["reset"] = {
  ["disabled"] = annotations["industrydata.sds-operator.io/paused"] == "true",
  ["iconClass"] = "fa fa-fw fa-redo",
  ["displayName"] = "Reset the flow in SDS",
}
return actions
