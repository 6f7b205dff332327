-- Asks sds-operator for one reset of the flow (Graph's reset action) by stamping the reset
-- annotation with the current UTC time: a new value means one reset, never more.
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["industrydata.sds-operator.io/reset"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
