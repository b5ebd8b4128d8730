package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"chatd"
	"chatd/store"
)

// slugPattern is what the apps put in a venue's URL: lower-case words of
// letters and digits joined by single hyphens.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

const (
	maxSlugLen = 64
	maxNameLen = 100
)

func tenantCreateFlags(fs *flag.FlagSet) func(context.Context, *cli) error {
	slug := fs.String("slug", "", "the venue's URL name: lower-case letters, digits and hyphens (required)")
	name := fs.String("name", "", "the venue's display name, also its general room's name (required)")
	return func(ctx context.Context, c *cli) error {
		s, n := strings.TrimSpace(*slug), strings.TrimSpace(*name)
		switch {
		case s == "" || n == "":
			return usageError{"--slug and --name are required"}
		case len(s) > maxSlugLen || !slugPattern.MatchString(s):
			return usageError{fmt.Sprintf("--slug %q: use up to %d lower-case letters, digits and single hyphens, like cafe-roma", s, maxSlugLen)}
		case utf8.RuneCountInString(n) > maxNameLen:
			return usageError{fmt.Sprintf("--name is longer than %d characters", maxNameLen)}
		}
		return cmdTenantCreate(ctx, c, s, n)
	}
}

func cmdTenantCreate(ctx context.Context, c *cli, slug, name string) error {
	db, err := c.openReady(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	t, rooms, err := db.CreateTenant(ctx, name, slug)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("a venue with slug %q exists already", slug)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created venue %q (%s), id %s\n", t.Slug, t.Name, t.ID)
	for _, r := range rooms {
		fmt.Fprintf(c.stdout, "  room %-12s %s  %s\n", r.Type, r.ID, r.Name)
	}
	return nil
}

func cmdTenantList(ctx context.Context, c *cli) error {
	db, err := c.openReady(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	tenants, err := db.Tenants(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLUG\tNAME\tROOMS\tCREATED\tID")
	for _, t := range tenants {
		rooms, err := db.RoomsByTenant(ctx, t.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", t.Slug, t.Name, len(rooms), chatd.FormatTime(t.CreatedAt), t.ID)
	}
	return w.Flush()
}

// openReady opens the configured database with its schema in place, as
// serve would leave it (so `tenant create` works on a fresh machine).
func (c *cli) openReady(ctx context.Context) (*store.DB, error) {
	cfg, logger, err := c.setup()
	if err != nil {
		return nil, err
	}
	db, err := openStore(ctx, cfg, logger, false)
	if err != nil {
		return nil, err
	}
	if _, err := prepareSchema(ctx, cfg, db, logger); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
