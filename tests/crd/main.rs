//! The committed CRD matches the generator, and the generated CRD carries every validation,
//! name and printer column the design promises (a misspelt derive attribute can silently drop one).

mod descriptions;
mod files;
mod fixture;
mod shape;
mod status;
mod validation;
