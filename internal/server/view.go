package server

// A page's view model (one per page, beside its handler) holds what its template shows and
// nothing else; it embeds web.Layout, what the frame around every page shows. render fills the
// frame's part that is the same for every page of a signed-in user.
