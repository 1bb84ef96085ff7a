package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/siegel-oss/siegel/internal/portfolio"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

func whereUsedCommand() *Command {
	var server, data, database, org, rng, advisory, dir, format string
	var limit, offset int
	return &Command{
		Name:    "where-used",
		Args:    "[PURL]",
		Summary: "list the releases of every product that contain a component, a version range of it, or what an advisory affects",
		Help: `Answers "which releases of which products contain this component?" across the portfolio.
PURL without a version asks for every version, with one for that version; --range narrows to a
version range (vers syntax, "vers:npm/>=4.0.0|<4.17.21", or its constraints alone); --advisory
asks for the versions an advisory's affected ranges cover (an OSV id or an alias such as a CVE).
Each occurrence comes with its findings in force and their VEX status, or, for an advisory, its
finding's status and the VEX status in force. Versions that cannot be compared are listed, never
left out silently.

With --server (or $SIEGEL_SERVER) and $SIEGEL_TOKEN the server answers, with the token's view: a
manufacturer's own releases, every manufacturer's for an authority. Otherwise the local store
(--data, --database) answers for every organization, or for --org only; advisories are read from
the vulnerability database (--db).`,
		Example: `siegel where-used pkg:npm/lodash
siegel where-used --range 'vers:npm/>=4.0.0|<4.17.21' pkg:npm/lodash
siegel where-used --advisory CVE-2021-44228 --format json
SIEGEL_TOKEN=sgl_... siegel where-used --server https://siegel.example pkg:golang/golang.org/x/net`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&server, "server", "", "server URL (default: $SIEGEL_SERVER; the local store when neither is set)")
			fs.StringVar(&data, "data", "", "data directory of the local store (default: $SIEGEL_DATA or ./siegel-data)")
			fs.StringVar(&database, "database", "", "PostgreSQL URL of the local store; the embedded SQLite store when empty")
			fs.StringVar(&org, "org", "", "local store: only this organization's releases")
			fs.StringVar(&dir, "db", "", "vulnerability database directory, for --advisory (default: $SIEGEL_DB or the user cache directory)")
			fs.StringVar(&rng, "range", "", "version range (vers syntax)")
			fs.StringVar(&advisory, "advisory", "", "advisory id or alias (CVE, GHSA, OSV id)")
			fs.StringVar(&format, "format", "table", "output format: table or json")
			fs.IntVar(&limit, "limit", 100, "occurrences per page (at most 1000)")
			fs.IntVar(&offset, "offset", 0, "occurrences to skip (the next page)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) > 1 || (len(args) == 0) == (advisory == "") {
				return usagef("where-used takes one PURL or --advisory ID")
			}
			if format != "table" && format != "json" {
				return usagef("--format must be table or json")
			}
			q := portfolio.Query{Range: rng, Advisory: advisory, Limit: limit, Offset: offset}
			if len(args) == 1 {
				q.PURL = args[0]
			}
			var res *portfolio.Result
			var err error
			if server = cmpOr(server, env.Getenv("SIEGEL_SERVER")); server != "" {
				if org != "" {
					return usagef("--org is for the local store; a server answers with its token's view")
				}
				res, err = whereUsedRemote(ctx, env, server, q)
			} else {
				res, err = whereUsedLocal(ctx, env, data, database, org, dir, q)
			}
			if errors.Is(err, portfolio.ErrQuery) {
				return usagef("%s", strings.TrimPrefix(err.Error(), portfolio.ErrQuery.Error()+": "))
			}
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			return writeWhereUsed(env.Stdout, res)
		},
	}
}

func whereUsedLocal(ctx context.Context, env *Env, data, database, org, dir string, q portfolio.Query) (*portfolio.Result, error) {
	st, err := openStore(ctx, env, dataDir(env, data), database)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if org != "" {
		o, err := st.OrganizationByName(ctx, org)
		if err != nil {
			return nil, err
		}
		q.Org = o.ID
	}
	var adv portfolio.Advisories
	if q.Advisory != "" {
		db, err := vulndb.Open(ctx, dbDir(env, dir), false)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		adv = db
	}
	return portfolio.WhereUsed(ctx, st, adv, q)
}

func whereUsedRemote(ctx context.Context, env *Env, server string, q portfolio.Query) (*portfolio.Result, error) {
	token := env.Getenv("SIEGEL_TOKEN")
	if token == "" {
		return nil, usagef("asking a server needs $SIEGEL_TOKEN")
	}
	v := url.Values{}
	for k, x := range map[string]string{"purl": q.PURL, "range": q.Range, "advisory": q.Advisory} {
		if x != "" {
			v.Set(k, x)
		}
	}
	v.Set("limit", strconv.Itoa(q.Limit))
	v.Set("offset", strconv.Itoa(q.Offset))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(server, "/")+"/api/v1/where-used?"+v.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("where-used: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("where-used: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		json.Unmarshal(body, &e)
		msg := cmpOr(e.Error, strings.TrimSpace(string(body)))
		if resp.StatusCode == http.StatusBadRequest {
			return nil, fmt.Errorf("%w: %s", portfolio.ErrQuery, strings.TrimPrefix(msg, portfolio.ErrQuery.Error()+": "))
		}
		return nil, fmt.Errorf("where-used: server answered %s: %s", resp.Status, msg)
	}
	res := &portfolio.Result{}
	if err := json.Unmarshal(body, res); err != nil {
		return nil, fmt.Errorf("where-used: the server's answer: %w", err)
	}
	return res, nil
}

// writeWhereUsed prints a result as a table, with what was not evaluated and how to page on.
func writeWhereUsed(w io.Writer, res *portfolio.Result) error {
	subject := res.Component
	if res.Range != "" {
		subject += " in " + res.Range
	}
	if res.Advisory != "" {
		subject = "versions " + res.Advisory + " affects"
		if len(res.Records) > 0 {
			subject += " (records " + strings.Join(res.Records, ", ") + ")"
		}
	}
	fmt.Fprintf(w, "%d occurrences of %s\n", res.Total, subject)
	for _, n := range res.NotEvaluated {
		fmt.Fprintf(w, "NOT EVALUATED: version %s (%d occurrences): %s\n", n.Version, n.Occurrences, n.Reason)
	}
	if len(res.Items) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if res.Advisory != "" {
		fmt.Fprintln(tw, "ORGANIZATION\tPRODUCT\tRELEASE\tCOMPONENT\tVERSION\tDIRECT\tFINDING\tVEX")
	} else {
		fmt.Fprintln(tw, "ORGANIZATION\tPRODUCT\tRELEASE\tCOMPONENT\tVERSION\tDIRECT\tFINDINGS (VEX)")
	}
	for _, it := range res.Items {
		if res.Advisory != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\t%s\t%s\n", it.Organization, it.Product, it.Release, it.Name, it.Version, it.Direct, it.FindingStatus, cmpOr(it.VEX, "-"))
			continue
		}
		var fs []string
		for _, f := range it.Findings {
			s := f.Vulnerability
			if f.VEX != "" {
				s += " (" + f.VEX + ")"
			}
			fs = append(fs, s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\t%s\n", it.Organization, it.Product, it.Release, it.Name, it.Version, it.Direct, cmpOr(strings.Join(fs, ", "), "-"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if shown := res.Offset + len(res.Items); shown < res.Total {
		fmt.Fprintf(w, "%d-%d of %d; next page: --offset %d\n", res.Offset+1, shown, res.Total, shown)
	}
	return nil
}
