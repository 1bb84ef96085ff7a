package server

// A product's record is what its manufacturer states to a market surveillance authority about
// it: the facts the authority's scoped view is made of (authority_view.go). On one server the
// view reads them from the store; across two, the manufacturer's server writes them as a
// statement of its ledger and pushes that statement, with every other statement about the
// product, to the authority's server (authority_records_push.go), which checks them against the
// checkpoint it witnessed. Both views are rendered from the same facts by the same code, so an
// authority sees the same thing wherever its manufacturers run.
//
// The facts hold counts of components, never their names; the components with an actively
// exploited vulnerability, which a sweep needs to count fan-in across manufacturers, travel as
// pseudonyms (componentPseudonym).
