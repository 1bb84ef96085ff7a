package server

// ssoCookie carries state, nonce and PKCE verifier of a sign-on in progress from the redirect
// to the provider to the callback: they bind the callback to this browser.
const ()
