package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/portfolio"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// whereUsedView is the where-used page (whereused.html): the question asked and its answer.
type whereUsedView struct {
	Layout
	PURL, Range, Advisory string
	Result                *portfolio.Result
	// Prev and Next are the query strings of the neighbouring pages ("" when there is none).
	Prev, Next string
	AllOrgs    bool // the user sees every manufacturer's releases
	Registered bool // ... of the products registered with the user's authority
}

// inventoryView is the inventory page (inventory.html).
type inventoryView struct {
	Layout
	Inventory *portfolio.Inventory
	K         int
}

// portfolioWebRoutes registers the where-used and inventory pages and parses their templates.
func (s *Site) portfolioWebRoutes() {
	s.mux.HandleFunc("GET /where-used", s.web(s.whereUsedPage, true))
	s.mux.HandleFunc("GET /inventory", s.web(s.inventoryPage, true))
	s.mux.HandleFunc("GET /inventory/export", s.web(s.inventoryExport, true))
	s.mux.HandleFunc("POST /releases/{id}/devices", s.web(s.releaseDevicesForm, true))
}

func (s *Site) whereUsedPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	p := caller.OfUser(u)
	q, err := app.WhereUsedQuery(r, p)
	v := &whereUsedView{Layout: Layout{Title: "Where used", User: u}, PURL: q.PURL, Range: q.Range, Advisory: q.Advisory, AllOrgs: q.Org == 0, Registered: q.Authority != 0}
	if err == nil && (q.PURL != "" || q.Advisory != "") {
		if v.Result, err = s.WhereUsed(r.Context(), q); err != nil && !errors.Is(err, portfolio.ErrQuery) {
			s.Fail(w, r, err)
			return
		}
	}
	if err != nil { // the question cannot be answered as asked: say what to change
		v.Error = err.Error()
		s.render(w, http.StatusBadRequest, "whereused", v)
		return
	}
	if res := v.Result; res != nil {
		page := func(offset int) string {
			vals := url.Values{}
			for k, x := range map[string]string{"purl": q.PURL, "range": q.Range, "advisory": q.Advisory} {
				if x != "" {
					vals.Set(k, x)
				}
			}
			vals.Set("offset", strconv.Itoa(offset))
			vals.Set("limit", strconv.Itoa(res.Limit))
			return vals.Encode()
		}
		if res.Offset > 0 {
			v.Prev = page(max(res.Offset-res.Limit, 0))
		}
		if res.Offset+len(res.Items) < res.Total {
			v.Next = page(res.Offset + len(res.Items))
		}
	}
	s.render(w, http.StatusOK, "whereused", v)
}

// webMayReadInventory answers 403 to a user outside the inventory's access rule.
func (s *Site) webMayReadInventory(w http.ResponseWriter, r *http.Request, u *store.User) bool {
	ok, err := s.MayReadInventory(r.Context(), u.Token())
	if err != nil {
		s.Fail(w, r, err)
		return false
	}
	if !ok {
		http.Error(w, "The inventory of critical components spans every manufacturer: it is for authority users and the auditors of an authority.", http.StatusForbidden)
		return false
	}
	return true
}

func (s *Site) inventoryPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	if !s.webMayReadInventory(w, r, u) {
		return
	}
	inv, err := s.Inventory(r)
	if errors.Is(err, portfolio.ErrQuery) {
		s.render(w, http.StatusBadRequest, "inventory", &inventoryView{Layout: Layout{Title: "Critical components", User: u, Error: err.Error()}})
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "inventory", &inventoryView{Layout: Layout{Title: "Critical components", User: u}, Inventory: inv, K: inv.K})
}

func (s *Site) inventoryExport(w http.ResponseWriter, r *http.Request, u *store.User) {
	if !s.webMayReadInventory(w, r, u) {
		return
	}
	s.WriteInventory(w, r, func(msg string) { http.Error(w, msg, http.StatusBadRequest) })
}

func (s *Site) releaseDevicesForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	rel, err := s.Store.Release(r.Context(), id)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	p, ok := s.webProduct(w, r, u, rel.Product)
	if !ok {
		return
	}
	if !caller.OfUser(u).CanWrite(p.Organization) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	n, err := parseDevices(r.PostFormValue("devicesOnMarket"))
	if err == nil {
		err = s.Store.SetReleaseDevices(r.Context(), rel.ID, n)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, "/releases/"+strconv.FormatInt(rel.ID, 10), http.StatusSeeOther)
}

// parseDevices reads a device count from a form field: empty is unknown.
func parseDevices(v string) (*int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("devices on the market %q: give a whole number of zero or more, or leave it empty when unknown", v)
	}
	return &n, nil
}
