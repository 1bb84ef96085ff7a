package server

// Corrections of what was entered, shared by the API (api_edit.go) and the pages
// (web_edit.go): both check the same way and answer with the same words (validation.go).
