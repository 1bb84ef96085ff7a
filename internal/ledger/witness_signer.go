package ledger

// WitnessOf returns the public side of a witness private key (from NewWitnessKey): its name and
// verifier key, after checking the key is whole.
func WitnessOf(skey string) (Witness, error) {
	w, _, err := parseWitnessSigner(skey)
	return w, err
}
