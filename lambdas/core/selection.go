package core

import "path"

// TableFilter decides which source tables a run backs up.
type TableFilter struct {
	Include []string          // glob patterns; a table must match one
	Exclude []string          // glob patterns; a table matching one is skipped
	Tags    map[string]string // every key must be present with this value; "*" accepts any value
}

// FilterFromSettings builds the table filter of a run.
func FilterFromSettings(s Settings) TableFilter {
	return TableFilter{Include: s.Include, Exclude: s.Exclude, Tags: s.TagFilter}
}

// MatchName applies the include and exclude patterns. The tool's own
// temporary tables never match.
func (f TableFilter) MatchName(name string) bool {
	if IsTempTableName(name) {
		return false
	}
	return matchAny(f.Include, name) && !matchAny(f.Exclude, name)
}

// NeedsTags reports whether MatchTags has to be consulted.
func (f TableFilter) NeedsTags() bool { return len(f.Tags) > 0 }

// MatchTags applies the tag filter to a table's tags.
func (f TableFilter) MatchTags(tags map[string]string) bool {
	for k, want := range f.Tags {
		got, ok := tags[k]
		if !ok || (want != "*" && got != want) {
			return false
		}
	}
	return true
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}
