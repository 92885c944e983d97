//! The pool import after the regions are merged: names merged as sets, the pin's
//! name added where an engine is pinned, retired names dropped when unused, a deleted
//! import restored, and an import line moved out of a block the rest of the file needs.

use super::*;
use crate::policy::PinImport;

/// One import group merged.
struct ImportGroup<'a> {
    /// Its group.
    group: usize,
    /// The merged names.
    names: Vec<ImportedName>,
    /// The side it is rendered on (the fork's where it has one).
    side: ImportSide<'a>,
    /// The fork's side, where both sides hold the import.
    fork: Option<Side>,
}

/// How a layer's pool imports come out: each import group's text, and the line to add
/// once the text is rendered.
pub(in crate::merge) struct ImportPlan<'a> {
    /// Each import group's text (`None`: nothing left to import).
    rendered: Vec<(usize, Option<Vec<u8>>)>,
    /// The fork's import a side deleted, to put back next to its old neighbour.
    reinserted: Option<(Vec<u8>, ImportSide<'a>)>,
    /// Whether a new line imports the pin's name.
    inserted_line: bool,
}

impl Layer<'_> {
    /// Merges the import groups, given the text with every engine put back and the
    /// import placeholders still in it: the names merged as sets, retired names
    /// dropped, the pin's name added where an engine needs it (`need_pin`). `None`
    /// for a pin that imports nothing.
    pub(in crate::merge) fn plan_imports(
        &self,
        text: &[u8],
        placeholders: &Placeholders,
        need_pin: bool,
        decisions: &mut Vec<Decision>,
    ) -> Option<ImportPlan<'_>> {
        let pin = self.pin;
        // A pin that imports nothing has no import regions: nothing to settle.
        let import = pin.import.as_ref()?;
        let mut names = self.import_groups(import);
        let retired = if need_pin {
            imports::unused(text, &pin.retire)
        } else {
            Vec::new()
        };
        let (mut notes, slots) = self.retire_and_keep(text, &mut names, &retired);
        // Groups whose line survived the line merge (the others were deleted by a side),
        // in the order their lines stand in the text, found in one pass over it.
        let surviving: Vec<usize> = text
            .split_inclusive(|&b| b == b'\n')
            .filter_map(|l| placeholders.parse(split_eol(l).0))
            .filter(|&(_, variant)| variant == Variant::Shared)
            .filter_map(|(g, _)| g.checked_sub(self.first))
            .collect();
        let present: Vec<bool> = names.iter().map(|g| surviving.contains(&g.group)).collect();
        let carries = |l: &[ImportedName]| l.iter().any(|n| n.name == import.name);
        // Exactly one import of the pin's name in a scope: where both sides added one
        // (or a side already held two), the first in the result keeps it.
        // (A group whose line stands twice in the result is put back once: see
        // `Merger::settle_imports`.)
        let mut first_in_scope: Vec<(&str, usize)> = Vec::new();
        for &g in &surviving {
            let Some(i) = names.iter().position(|n| n.group == g) else {
                continue;
            };
            let scope = names[i].side.import.scope.as_str();
            let unaliased = |n: &ImportedName| n.name == import.name && n.alias.is_none();
            if !names[i].names.iter().any(unaliased) {
                continue;
            }
            match first_in_scope.iter().find(|(s, _)| *s == scope) {
                Some(&(_, first)) if first != g => {
                    names[i].names.retain(|n| !unaliased(n));
                    notes[i].push(format!("dropped a second import of {}", import.name));
                }
                Some(_) => {}
                None => first_in_scope.push((scope, g)),
            }
        }
        let provided = names
            .iter()
            .zip(&present)
            .any(|(g, p)| *p && carries(&g.names));
        let mut inserted_line = false;
        let mut reinserted: Option<(Vec<u8>, ImportSide)> = None;
        // A lifted line (see `GroupsMerged::lifted`) goes back where the result uses the
        // name, pinned or not.
        let needed = need_pin
            || (self.merged.lifted.iter().any(|&l| l) && imports::name_used(text, &import.name));
        if needed && !provided {
            // Into the module-level import whose line is in the result, at the place of a
            // retired name if there was one; else the fork's import a side deleted, back
            // next to its neighbour; else a new line.
            let target = names
                .iter()
                .zip(&present)
                .position(|(g, p)| *p && g.side.import.scope.is_empty());
            let deleted = names
                .iter()
                .zip(&present)
                .find(|(g, p)| !**p && carries(&g.names) && g.side.import.scope.is_empty());
            match (target, deleted) {
                (Some(i), _) => {
                    imports::insert_name(&mut names[i].names, &import.name, slots[i]);
                    notes[i].push(format!("added {}", import.name));
                }
                (None, Some((g, _))) => {
                    reinserted = Some((imports::render(g.side, &g.names), g.side));
                }
                (None, None) => inserted_line = true,
            }
        }
        let rendered = self.render_groups(import, &names, &notes, decisions);
        Some(ImportPlan {
            rendered,
            reinserted,
            inserted_line,
        })
    }

    /// What replaces the placeholder of the layer's import group `gi` (see
    /// [`unmask`]).
    pub(in crate::merge) fn import_text(
        &self,
        plan: &ImportPlan,
        gi: usize,
        section: Section,
    ) -> Option<Option<Vec<u8>>> {
        if let Some((_, t)) = plan.rendered.iter().find(|(g, _)| *g == gi) {
            return Some(t.clone());
        }
        // An import both sides deleted still stands in the base section of a
        // conflict: as it was there.
        let v = match section {
            Section::Base => BASE,
            Section::Ours => OURS,
            Section::Theirs => THEIRS,
            Section::Outside => return None,
        };
        let region = self.region(v, self.groups.get(gi)?)?;
        Some(Some(self.versions[v].text[region.span.clone()].to_vec()))
    }

    /// The lines the plan adds to the rendered text: the fork's import put back, or
    /// a new import line.
    pub(in crate::merge) fn finish_imports(
        &self,
        plan: ImportPlan,
        out: &mut Vec<u8>,
        decisions: &mut Vec<Decision>,
    ) {
        let Some(import) = &self.pin.import else {
            return;
        };
        if let Some((line, side)) = plan.reinserted {
            self.reinsert_import(import, out, &line, side, decisions);
        }
        if plan.inserted_line {
            self.insert_import_line(import, out, decisions);
        }
    }

    /// Each import group's text (`None`: nothing left to import), with a decision for
    /// each that changed or has notes.
    fn render_groups(
        &self,
        import: &PinImport,
        names: &[ImportGroup],
        notes: &[Vec<String>],
        decisions: &mut Vec<Decision>,
    ) -> Vec<(usize, Option<Vec<u8>>)> {
        let mut rendered: Vec<(usize, Option<Vec<u8>>)> = Vec::new();
        for (
            i,
            ImportGroup {
                group: gi,
                names: list,
                side,
                fork,
            },
        ) in names.iter().enumerate()
        {
            let out = (!list.is_empty()).then(|| imports::render(*side, list));
            let verbatim = out.as_deref() == Some(&side.text[side.region.span.clone()]);
            if !verbatim || !notes[i].is_empty() {
                let upstream_added: Vec<String> = list
                    .iter()
                    .filter(|n| !side.import.names.contains(n) && n.name != import.name)
                    .map(super::python::ImportedName::render)
                    .collect();
                decisions.push(Decision {
                    region: format!("import {}", import.module),
                    line: regions::line_number(side.text, side.import.range.start),
                    fork: *fork,
                    outcome: if verbatim {
                        Outcome::Kept
                    } else {
                        Outcome::Merged
                    },
                    from_fork: Vec::new(),
                    from_upstream: upstream_added,
                    note: notes[i].join("; "),
                });
            }
            rendered.push((*gi, out));
        }
        rendered
    }

    /// Each masked import group merged: its names, the side to render it on, and
    /// the fork's side where both sides hold it.
    fn import_groups(&self, import: &PinImport) -> Vec<ImportGroup<'_>> {
        let import_groups: Vec<usize> = (0..self.groups.len())
            .filter(|&gi| {
                self.masked[gi]
                    && [BASE, OURS, THEIRS].iter().any(|&v| {
                        self.region(v, &self.groups[gi])
                            .is_some_and(|r| !r.is_engine())
                    })
            })
            .collect();
        let mut names: Vec<ImportGroup> = Vec::new();
        for &gi in &import_groups {
            let g = &self.groups[gi];
            let (b, o, t) = (
                self.import_side(BASE, g),
                self.import_side(OURS, g),
                self.import_side(THEIRS, g),
            );
            let (fork, merged) = imports::merge_group(
                b.map(|x| x.import),
                o.map(|x| x.import),
                t.map(|x| x.import),
                &import.name,
            );
            let (first, second) = if fork == Side::Ours { (o, t) } else { (t, o) };
            let Some(side) = first.or(second) else {
                continue;
            };
            let fork = (o.is_some() && t.is_some()).then_some(fork);
            names.push(ImportGroup {
                group: gi,
                names: merged,
                side,
                fork,
            });
        }
        names
    }

    /// Drops the `retired` names from every group, keeps a name a side imports that
    /// the result still uses; returns each group's notes and where a retired name was
    /// (the pin's name goes there).
    fn retire_and_keep(
        &self,
        text: &[u8],
        names: &mut [ImportGroup],
        retired: &[String],
    ) -> (Vec<Vec<String>>, Vec<Option<usize>>) {
        // What a user can end up with: the text without the base sections of diff3
        // conflict blocks, which no side takes.
        let kept_text = without_base_sections(text, &self.opts.markers);
        let mut notes: Vec<Vec<String>> = vec![Vec::new(); names.len()];
        let mut slots: Vec<Option<usize>> = vec![None; names.len()];
        for (
            i,
            ImportGroup {
                group: gi,
                names: list,
                ..
            },
        ) in names.iter_mut().enumerate()
        {
            let before = list.len();
            slots[i] = imports::remove_names(list, retired);
            if list.len() != before {
                notes[i].push(format!("retired {}", retired.join(", ")));
            }
            // A name one side imports here that the result still uses (a server engine's
            // NullPool, or either side of a conflict) stays imported, though the other
            // dropped it: never a module that uses a pool class it does not import.
            let g = &self.groups[*gi];
            let mut kept: Vec<ImportedName> = Vec::new();
            // The sides only: what both of them dropped stays dropped.
            for v in [OURS, THEIRS] {
                let Some(side) = self.import_side(v, g) else {
                    continue;
                };
                for n in &side.import.names {
                    let bound = n.alias.as_deref().unwrap_or(&n.name);
                    let known = list.iter().chain(&kept).any(|m| m.name == n.name);
                    if !known && !retired.contains(&n.name) && imports::name_used(&kept_text, bound)
                    {
                        kept.push(n.clone());
                    }
                }
            }
            for n in kept {
                notes[i].push(format!("kept {}, still used", n.name));
                // In order, when the list is in order.
                let sorted = list.windows(2).all(|w| w[0].name <= w[1].name);
                let at = if sorted {
                    list.iter()
                        .position(|m| m.name > n.name)
                        .unwrap_or(list.len())
                } else {
                    list.len()
                };
                list.insert(at, n);
            }
        }
        (notes, slots)
    }

    /// Puts the fork's import a side deleted back next to its old neighbour.
    fn reinsert_import(
        &self,
        import: &PinImport,
        out: &mut Vec<u8>,
        line: &[u8],
        side: ImportSide,
        decisions: &mut Vec<Decision>,
    ) {
        let at = imports::near_neighbour(out, side.text, side.region)
            .unwrap_or_else(|| imports::insertion_point(out, &import.module, &import.name));
        let at = outside_blocks(out, at, self.opts.markers.size());
        let eol = &side.text[side.region.eol.clone()];
        let eol: &[u8] = if eol.is_empty() { b"\n" } else { eol };
        out.splice(at..at, [line, eol].concat());
        decisions.push(Decision {
            region: format!("import {}", import.module),
            line: regions::line_number(out, at),
            fork: None,
            outcome: Outcome::Kept,
            from_fork: vec![import.name.clone()],
            from_upstream: Vec::new(),
            note: "the import the pinned engines need, kept next to its neighbour (a side deleted it, or added it beside the other's edits of the imports)".into(),
        });
    }

    /// Adds a new line importing the pin's name, after the package's imports and
    /// before the first use.
    fn insert_import_line(
        &self,
        import: &PinImport,
        out: &mut Vec<u8>,
        decisions: &mut Vec<Decision>,
    ) {
        let at = imports::insertion_point(out, &import.module, &import.name);
        let at = outside_blocks(out, at, self.opts.markers.size());
        // The end of line of the lines around it.
        let eol = crate::region::edit::line_eol(out, at);
        let line = [
            format!("from {} import {}", import.module, import.name).as_bytes(),
            eol,
        ]
        .concat();
        out.splice(at..at, line);
        decisions.push(Decision {
            region: format!("import {}", import.module),
            line: regions::line_number(out, at),
            fork: None,
            outcome: Outcome::Pinned,
            from_fork: Vec::new(),
            from_upstream: Vec::new(),
            note: format!("added the import of {}", import.name),
        });
    }
}
