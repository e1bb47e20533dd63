//! Only the load generator of the validation benchmark lives here (src/bin/).
