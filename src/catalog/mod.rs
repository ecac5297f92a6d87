//! Code tables of the vendors.
