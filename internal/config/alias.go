package config

import "gopkg.in/yaml.v3"

// maxAliasFollows bounds how many aliases the shape check follows in one
// file. A real file uses a handful; nested aliases and merge keys can
// otherwise make the walk exponential in the file's size.
const maxAliasFollows = 10000

// aliasGuard keeps the shape check finite on hostile files: an alias that
// refers to a node containing it (directly or through merge keys) is
// reported instead of followed forever, and so is a file that makes the walk
// follow too many aliases.
type aliasGuard struct {
	active  map[*yaml.Node]bool // anchors being walked
	follows int
	tooMany bool
}

// follow reports whether the alias n at path may be walked into, and if so
// marks its anchor as being walked until leave.
func (s *shapeChecker) follow(n *yaml.Node, path string) bool {
	g := &s.aliases
	if g.active[n.Alias] {
		s.errorf(path, n, "alias *%s refers to a node that contains it", n.Value)
		return false
	}
	if g.follows++; g.follows > maxAliasFollows {
		if !g.tooMany {
			g.tooMany = true
			s.errorf(path, n, "more than %d alias expansions; simplify the anchors and aliases", maxAliasFollows)
		}
		return false
	}
	if g.active == nil {
		g.active = make(map[*yaml.Node]bool)
	}
	g.active[n.Alias] = true
	return true
}

// leave ends the walk of an anchor entered by follow.
func (g *aliasGuard) leave(anchor *yaml.Node) {
	delete(g.active, anchor)
}
