package lab

import (
	"fmt"
	"slices"
	"strings"
)

// updateChecks draws the update checks from what the update server saw (nil: no update server
// in the run). A check passes only on what the device was seen doing; silence is not tested.
func updateChecks(u *UpdateResult) []Check {
	const none = "the lab did not act as the device's update server (--update-listen and the update files)"
	if u == nil {
		var out []Check
		for _, id := range []string{"update-check", "update-auto", "update-channel", "update-authenticity"} {
			out = append(out, Check{ID: id, Result: NotTested, Detail: none})
		}
		return out
	}
	if u.Error != "" {
		var out []Check
		for _, id := range []string{"update-check", "update-auto", "update-channel", "update-authenticity"} {
			out = append(out, Check{ID: id, Result: NotTested, Detail: "the update server did not run: " + u.Error})
		}
		return out
	}
	silent := fmt.Sprintf("the device sent no request to the update server at %s during the run", u.Listen)
	var out []Check
	add := func(id, result, detail string) { out = append(out, Check{ID: id, Result: result, Detail: detail}) }

	switch {
	case u.Checks > 0:
		add("update-check", Pass, fmt.Sprintf("the device asked for updates %d times between %s and %s without the lab prompting it (nobody should press its update button during the run), reporting version %s; how often it checks outside the lab needs its schedule",
			u.Checks, u.First.Format("15:04:05.000Z"), u.Last.Format("15:04:05.000Z"), strings.Join(u.Versions, " then ")))
	case u.Requests > 0:
		add("update-check", NotTested, fmt.Sprintf("%d requests on its own, none carrying the device's version, so the lab cannot tell a check from another download", u.Requests))
	case u.Untrusted == "refused":
		add("update-check", Pass, "the device connected to the update server on its own (and refused its untrusted certificate: "+u.UntrustedAlert+")")
	default:
		add("update-check", NotTested, silent)
	}

	var installed []string
	if u.Tampered == UpdateInstalled {
		installed = append(installed, "the altered image (see update-authenticity)")
	}
	if u.Genuine == UpdateInstalled {
		installed = append(installed, "the genuine image")
	}
	if len(installed) > 0 {
		add("update-auto", Pass, "the device downloaded and installed "+strings.Join(installed, " and ")+" with no user step, reporting the update's version in its next check")
	} else {
		add("update-auto", NotTested, "no installation seen: "+updateStory(u))
	}

	switch {
	case !u.TLS && u.Requests > 0:
		add("update-channel", Fail, "the device fetches its updates over plain HTTP: anyone on the path reads and changes what it asks and gets (whether it verifies the image is update-authenticity)")
	case u.Untrusted == "accepted":
		add("update-channel", Fail, "the device fetched its update over TLS from a server whose certificate it cannot trust (self-signed by the lab): it does not authenticate its update server")
	case u.Untrusted == "refused" && !slices.ContainsFunc(u.TLSVersions, isModernTLS):
		add("update-channel", Fail, "the device refused an untrusted certificate, but offered at most "+strings.Join(u.TLSVersions, ", ")+" (TLS 1.2 or later is best practice)")
	case u.Untrusted == "refused" && !u.TrustedOK:
		add("update-channel", NotTested, "the device broke off the handshake with the lab's untrusted certificate ("+u.UntrustedAlert+"), but completed none with a certificate it trusts, so the refusal cannot be put down to the certificate")
	case u.Untrusted == "refused":
		add("update-channel", Pass, fmt.Sprintf("the device offered %s and broke off the handshake with a certificate it cannot trust (%s) and completed it with the one it trusts; the cipher suites it offers are not rated here", strings.Join(u.TLSVersions, ", "), u.UntrustedAlert))
	case u.TLS:
		add("update-channel", NotTested, "no TLS handshake with the lab's untrusted certificate concluded: "+updateStory(u))
	default:
		add("update-channel", NotTested, silent)
	}

	switch {
	case u.Tampered == UpdateInstalled:
		add("update-authenticity", Fail, "the device installed an image the lab had altered (one byte flipped: SHA-256 "+u.TamperedSHA256+" instead of "+u.GenuineSHA256+") and reported the update's version afterwards")
	case u.Tampered == UpdateRefused && u.Genuine == UpdateInstalled:
		add("update-authenticity", Pass, "the device kept its version after downloading the altered image (SHA-256 "+u.TamperedSHA256+") and installed the genuine one (SHA-256 "+u.GenuineSHA256+") when it was served next")
	case u.Tampered == UpdateRefused:
		add("update-authenticity", NotTested, "the device kept its version after the altered image, but did not install the genuine one either during the run, so refusing cannot be told from installing nothing")
	default:
		add("update-authenticity", NotTested, "the device did not download and then check again: "+updateStory(u))
	}
	return out
}

func isModernTLS(v string) bool { return v == "TLS 1.2" || v == "TLS 1.3" }

// updateStory says in a few words what the update server saw, for a check not tested.
func updateStory(u *UpdateResult) string {
	if u.Requests == 0 && u.Untrusted == "" {
		return fmt.Sprintf("no request reached the update server at %s", u.Listen)
	}
	s := fmt.Sprintf("%d requests; altered image %s, genuine image %s", u.Requests, u.Tampered, u.Genuine)
	if len(u.Versions) > 0 {
		s += "; versions reported " + strings.Join(u.Versions, " then ")
	}
	if u.Untrusted == "refused" && u.Requests == 0 {
		s += "; the device refused the untrusted certificate, and the lab has no certificate it trusts (--update-cert)"
	}
	return s
}
