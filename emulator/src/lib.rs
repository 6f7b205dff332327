//! A local emulator of Microsoft Graph's industryData outbound provisioning API.
