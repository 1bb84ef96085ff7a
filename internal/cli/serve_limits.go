package cli

import (
	"flag"
	"net/netip"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/lab"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/server"
)

// serveLimits are serve's flags for connection limits, uploads, proxies, webhooks and metrics.
type serveLimits struct {
	readHeader, read, write, idle, upload time.Duration
	maxUploads                            int
	maxUploadMB, maxUnpackMB              int64
	trusted, webhookAllow                 stringList
	publicMetrics                         bool
	trustedNets, allowNets                []netip.Prefix
	firmwareMemoryMB                      int64
	firmwareWorkers                       int
	labAllow                              stringList
}

func (l *serveLimits) flags(fs *flag.FlagSet) {
	fs.DurationVar(&l.readHeader, "read-header-timeout", server.DefaultReadHeaderTimeout, "time a client has to send a request's headers")
	fs.DurationVar(&l.read, "read-timeout", server.DefaultReadTimeout, "time a client has to send a whole request (uploads: --upload-timeout)")
	fs.DurationVar(&l.write, "write-timeout", server.DefaultWriteTimeout, "time to answer a request (uploads: --upload-timeout)")
	fs.DurationVar(&l.idle, "idle-timeout", server.DefaultIdleTimeout, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&l.upload, "upload-timeout", server.DefaultUploadTimeout, "time an authenticated upload (SBOM, firmware) has to be sent and analysed")
	fs.IntVar(&l.maxUploads, "max-uploads", server.DefaultMaxUploads, "uploads handled at once; more are answered 503 with Retry-After")
	fs.Int64Var(&l.maxUploadMB, "max-upload", 256, "largest SBOM or source archive upload, in MiB (firmware images: at least 512)")
	fs.Int64Var(&l.maxUnpackMB, "max-unpack", server.DefaultMaxUnpack>>20, "what one upload may take in memory beyond its body, in MiB: a source archive or firmware image unpacks to at most this (and 100 times its size), an SBOM document may be a sixth of it")
	fs.Var(&l.trusted, "trusted-proxy", "address or CIDR range of a reverse proxy whose X-Forwarded-For and Forwarded headers name the client (repeatable)")
	fs.Var(&l.webhookAllow, "webhook-allow", "address or CIDR range of internal webhook receivers to allow; by default webhooks reach public addresses only (repeatable)")
	fs.BoolVar(&l.publicMetrics, "metrics-public", false, "serve /metrics without an API token")
	fs.Int64Var(&l.firmwareMemoryMB, "firmware-memory", server.DefaultFirmwareMemory>>20, "memory one firmware analysis may take, in MiB: the image and what it unpacks to (at most --max-unpack); an image that needs more fails its job with this named")
	fs.IntVar(&l.firmwareWorkers, "firmware-workers", 1, "firmware analyses this server runs at once (each within --firmware-memory); more wait in the queue")
	fs.Var(&l.labAllow, "lab-allow", "CIDR range of the lab network this server may run lab tests in (repeatable; no default: without it the server runs none)")
}

// apply validates the flags and gives the monitor the webhook client they allow.
func (l *serveLimits) apply(mc *monitor.Config) error {
	var err error
	if l.trustedNets, err = notify.ParsePrefixes(l.trusted); err != nil {
		return usagef("--trusted-proxy: %v", err)
	}
	if l.allowNets, err = notify.ParsePrefixes(l.webhookAllow); err != nil {
		return usagef("--webhook-allow: %v", err)
	}
	if l.maxUploads < 1 || l.maxUploadMB < 1 || l.maxUnpackMB < 1 {
		return usagef("--max-uploads, --max-upload and --max-unpack must be at least 1")
	}
	if l.firmwareMemoryMB < 1 || l.firmwareWorkers < 1 {
		return usagef("--firmware-memory and --firmware-workers must be at least 1")
	}
	if _, err := lab.ParseScope(l.labAllow); err != nil {
		return usagef("--lab-allow %s", strings.TrimPrefix(err.Error(), "--allow "))
	}
	mc.FirmwareWorkers = l.firmwareWorkers
	mc.Webhooks = notify.AddressPolicy{Allow: l.allowNets}.Client(10 * time.Second)
	return nil
}

// server returns sc with the limits set (after apply).
func (l *serveLimits) server(sc server.Config) server.Config {
	sc.ReadHeaderTimeout, sc.ReadTimeout, sc.WriteTimeout, sc.IdleTimeout, sc.UploadTimeout = l.readHeader, l.read, l.write, l.idle, l.upload
	sc.MaxUploads, sc.MaxUpload, sc.MaxUnpack = l.maxUploads, l.maxUploadMB<<20, l.maxUnpackMB<<20
	sc.TrustedProxies, sc.WebhookAllow, sc.PublicMetrics = l.trustedNets, l.allowNets, l.publicMetrics
	sc.FirmwareMemory = l.firmwareMemoryMB << 20
	sc.LabAllow = l.labAllow
	return sc
}
