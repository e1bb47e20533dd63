//! Files and packages: added, removed, their options, syntax and package.
//! (One file per element kind, like compat/.)

use super::*;

impl<'a> Differ<'a> {
    pub(super) fn packages(&self) {
        for (name, side) in union(&self.old.packages, &self.new.packages) {
            let index = self.index(side);
            let files = &index.packages[name];
            let mut also: Vec<String> = Vec::new();
            if side == Side::Old {
                for &file in files {
                    also.push(index.files[file].name.to_string());
                    names_in_file(index.files[file].desc, &mut also);
                }
            }
            let count = match files.len() {
                1 => "1 file".to_string(),
                n => format!("{n} files"),
            };
            // Files without a package are not a package of their own.
            if !name.is_empty() {
                self.whole(ElementKind::Package, name, side, None, Some(count), also);
            }
        }
    }

    /// Whether the element's whole package appeared or vanished (then that change covers it).
    pub(super) fn package_covers(&self, file: usize, side: Side) -> bool {
        let package = self.index(side).files[file].package;
        let other = self.index(other(side));
        !package.is_empty() && !other.packages.contains_key(package)
    }

    pub(super) fn files(&self) {
        for (name, old, new) in paired(&self.old.file_by_name, &self.new.file_by_name) {
            match (old, new) {
                (Some(old), Some(new)) => {
                    self.file(self.old.files[old].desc, self.new.files[new].desc)
                }
                (Some(old), None) => {
                    if !self.package_covers(old, Side::Old) {
                        let mut also = Vec::new();
                        names_in_file(self.old.files[old].desc, &mut also);
                        let location = Some(self.file_location(Side::Old, name));
                        self.whole(ElementKind::File, name, Side::Old, location, None, also);
                    }
                }
                (None, Some(new)) => {
                    if !self.package_covers(new, Side::New) {
                        let location = Some(self.file_location(Side::New, name));
                        self.whole(
                            ElementKind::File,
                            name,
                            Side::New,
                            location,
                            None,
                            Vec::new(),
                        );
                    }
                }
                (None, None) => unreachable!("the name comes from one of the two maps"),
            }
        }
    }

    pub(super) fn file(&self, old: &FileDescriptorProto, new: &FileDescriptorProto) {
        let subject = Subject {
            kind: ElementKind::File,
            element: new.name().to_string(),
            old_element: None,
            also: Vec::new(),
            location: Some(self.file_location(Side::New, new.name())),
        };
        self.value(
            &subject,
            "package",
            Some(old.package().to_string()),
            Some(new.package().to_string()),
        );
        self.value(
            &subject,
            "syntax",
            Some(syntax_text(old).to_string()),
            Some(syntax_text(new).to_string()),
        );
        let (o, n) = (
            old.options.clone().unwrap_or_default(),
            new.options.clone().unwrap_or_default(),
        );
        // Each option's change points at the option's line (FileOptions field `number`),
        // where the new file still sets it.
        let at_option = |number: i32| Subject {
            kind: ElementKind::File,
            element: subject.element.clone(),
            old_element: None,
            location: Some(self.location(
                Side::New,
                self.new.file_by_name[new.name()],
                &[FILE_OPTIONS, number],
            ))
            .filter(|l| l.line > 0)
            .or_else(|| subject.location.clone()),
            also: Vec::new(),
        };
        macro_rules! options {
            ($($name:ident = $number:literal),*) => {$(
                self.value(&at_option($number), stringify!($name), show(&o.$name), show(&n.$name));
            )*};
        }
        options!(
            java_package = 1,
            java_outer_classname = 8,
            java_multiple_files = 10,
            java_string_check_utf8 = 27,
            go_package = 11,
            cc_generic_services = 16,
            java_generic_services = 17,
            py_generic_services = 18,
            php_generic_services = 42,
            cc_enable_arenas = 31,
            objc_class_prefix = 36,
            csharp_namespace = 37,
            swift_prefix = 39,
            php_class_prefix = 40,
            php_namespace = 41,
            php_metadata_namespace = 44,
            ruby_package = 45
        );
        let optimize = |v: Option<i32>| v.map(|_| format!("{:?}", o.optimize_for()));
        let optimize_new = |v: Option<i32>| v.map(|_| format!("{:?}", n.optimize_for()));
        self.value(
            &at_option(9),
            "optimize_for",
            optimize(o.optimize_for),
            optimize_new(n.optimize_for),
        );
        self.deprecation(&subject, o.deprecated, n.deprecated);
    }
}
