package server

// Login throttling: counters in the store, so that every server behind a load balancer counts
// the same attempts, and no memory in the process grows with the number of clients.
var ()
