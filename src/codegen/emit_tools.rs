//! The MCP tool wrappers (`tools.rs`): one async function per tool that decodes the
//! arguments into the types of progenitor's generated method and calls it, plus the
//! static tool table the server serves.
//!
//! The argument types come from progenitor's own output (parsed with syn), not from a
//! second guess of typify's rules: whatever type progenitor chose, the wrapper asks
//! `support::Args` for exactly that type. Everything with a branch in it lives in
//! `support.rs`; the generated code only names things.

use super::Problem;
use super::ir::{BODY_ARG, Ir, Location, Method, ResponseShape, Tool};
use super::naming;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use std::collections::BTreeMap;
use std::str::FromStr;
use syn::{FnArg, GenericArgument, ImplItem, Item, Pat, PathArguments, Type};

/// A method of the generated `impl Client`.
struct ClientMethod {
    ident: syn::Ident,
    args: Vec<(String, Type)>,
}

/// Find every operation method of the generated client, keyed by (METHOD, path) as
/// progenitor writes them in the doc comment ("Sends a `GET` request to `/path`").
fn client_methods(client: &TokenStream) -> Result<BTreeMap<(String, String), ClientMethod>, Problem> {
    let file: syn::File = syn::parse2(client.clone())
        .map_err(|e| Problem::global(format!("progenitor output does not parse as Rust: {e}")))?;
    let mut out = BTreeMap::new();
    for item in &file.items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || !matches!(&*imp.self_ty, Type::Path(p) if p.path.is_ident("Client")) {
            continue;
        }
        for impl_item in &imp.items {
            let ImplItem::Fn(f) = impl_item else { continue };
            let doc: String = f
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .filter_map(|a| match &a.meta {
                    syn::Meta::NameValue(nv) => match &nv.value {
                        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n");
            let Some(key) = endpoint_of(&doc) else { continue };
            let args = f
                .sig
                .inputs
                .iter()
                .filter_map(|arg| match arg {
                    FnArg::Typed(pt) => match &*pt.pat {
                        Pat::Ident(pi) => Some((pi.ident.to_string(), (*pt.ty).clone())),
                        _ => None,
                    },
                    FnArg::Receiver(_) => None,
                })
                .collect();
            out.insert(key, ClientMethod { ident: f.sig.ident.clone(), args });
        }
    }
    Ok(out)
}

fn endpoint_of(doc: &str) -> Option<(String, String)> {
    let rest = &doc[doc.find("Sends a `")? + "Sends a `".len()..];
    let (method, rest) = rest.split_once('`')?;
    let rest = rest.strip_prefix(" request to `")?;
    let (path, _) = rest.split_once('`')?;
    Some((method.to_string(), path.to_string()))
}

/// Each argument of the client method, matched to its parameter by name (progenitor names
/// them after the parameter, snake_case, and the body `body`): its sort of path, query,
/// body and headers is not a total order, so positions cannot be predicted when an
/// operation has both headers and a body. `None` when a name matches nothing.
fn call_order<'t>(tool: &'t Tool, method: &ClientMethod) -> Option<Vec<(Option<Location>, &'t str)>> {
    let bare = |ident: &str| ident.trim_start_matches("r#").trim_end_matches('_').to_string();
    method
        .args
        .iter()
        .map(|(arg, _)| {
            if arg == BODY_ARG && tool.body.is_some() {
                return Some((None, BODY_ARG));
            }
            tool.params
                .iter()
                .find(|p| naming::snake_case(&p.wire_name) == bare(arg))
                .map(|p| (Some(p.location), p.wire_name.as_str()))
        })
        .collect()
}

/// The order progenitor gives positional arguments when nothing is ambiguous: path
/// (template order), query (sorted), body, headers (sorted). Used to explain a mismatch.
fn expected_order(tool: &Tool) -> Vec<(Option<Location>, &str)> {
    let template: Vec<&str> = tool.path.split('{').skip(1).filter_map(|s| s.split_once('}').map(|(n, _)| n)).collect();
    let mut out: Vec<(Option<Location>, &str)> = template.iter().map(|n| (Some(Location::Path), *n)).collect();
    let sorted = |loc: Location| {
        let mut names: Vec<&str> =
            tool.params.iter().filter(|p| p.location == loc).map(|p| p.wire_name.as_str()).collect();
        names.sort();
        names.into_iter().map(move |n| (Some(loc), n)).collect::<Vec<_>>()
    };
    let query = sorted(Location::Query);
    let headers = sorted(Location::Header);
    out.extend(query);
    if tool.body.is_some() {
        out.push((None, BODY_ARG));
    }
    out.extend(headers);
    out
}

/// `&'a T` → `&T`, recursively: the wrappers have no lifetime `'a` in scope.
fn strip_lifetimes(ty: &Type) -> Type {
    let mut ty = ty.clone();
    fn walk(ty: &mut Type) {
        match ty {
            Type::Reference(r) => {
                r.lifetime = None;
                walk(&mut r.elem);
            }
            Type::Path(p) => {
                for seg in &mut p.path.segments {
                    if let PathArguments::AngleBracketed(args) = &mut seg.arguments {
                        for arg in &mut args.args {
                            if let GenericArgument::Type(t) = arg {
                                walk(t);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    walk(&mut ty);
    ty
}

/// `Option<X>` → `Some(X)`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else { return None };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

fn is_str(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.is_ident("str"))
}

/// The expression that produces one argument of the client method.
fn argument(location: Option<Location>, name: &str, ty: &Type) -> TokenStream {
    let ty = strip_lifetimes(ty);
    let lit = Literal::string(name);
    if location.is_none() {
        // The request body: progenitor takes `&T`.
        // An optional body (`anyOf [T, null]`): progenitor takes `Option<&T>`.
        if let Some(Type::Reference(r)) = option_inner(&ty) {
            let elem = &r.elem;
            return quote!(a.opt_body::<#elem>()?.as_ref());
        }
        let inner = match &ty {
            // A body that is a JSON string: decoded owned, lent as `&str`.
            Type::Reference(r) if is_str(&r.elem) => syn::parse_quote!(String),
            Type::Reference(r) => (*r.elem).clone(),
            other => other.clone(),
        };
        return quote!(&a.body::<#inner>()?);
    }
    let path = location == Some(Location::Path);
    if let Some(inner) = option_inner(&ty) {
        return match inner {
            Type::Reference(r) if is_str(&r.elem) => quote!(a.opt_str(#lit)?),
            Type::Reference(r) => {
                let elem = &r.elem;
                quote!(a.opt::<#elem>(#lit)?.as_ref())
            }
            other => quote!(a.opt::<#other>(#lit)?),
        };
    }
    match (&ty, path) {
        (Type::Reference(r), true) if is_str(&r.elem) => quote!(a.path_str(#lit)?),
        (Type::Reference(r), false) if is_str(&r.elem) => quote!(a.req_str(#lit)?),
        (Type::Reference(r), true) => {
            let elem = &r.elem;
            quote!(&a.path::<#elem>(#lit)?)
        }
        (Type::Reference(r), false) => {
            let elem = &r.elem;
            quote!(&a.req::<#elem>(#lit)?)
        }
        (other, true) => quote!(a.path::<#other>(#lit)?),
        (other, false) => quote!(a.req::<#other>(#lit)?),
    }
}

/// A string literal, raw when that reads better (JSON is full of quotes).
fn raw_literal(text: &str) -> TokenStream {
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    TokenStream::from_str(&format!("r{hashes}\"{text}\"{hashes}")).unwrap_or_else(|_| {
        let lit = Literal::string(text);
        quote!(#lit)
    })
}

fn method_variant(m: Method) -> TokenStream {
    let v = format_ident!("{}", m.variant());
    quote!(Method::#v)
}

pub fn emit(ir: &Ir, client: &TokenStream) -> Result<TokenStream, Vec<Problem>> {
    let methods = client_methods(client).map_err(|p| vec![p])?;
    let mut problems = Vec::new();
    let mut wrappers = Vec::new();
    let mut entries = Vec::new();
    for tool in &ir.tools {
        let label = format!("`{}` ({} {})", tool.operation_id, tool.method.as_str(), tool.path);
        let wrapper = format_ident!("{}", naming::wrapper_fn(&tool.name));
        let doc = format!(" `{} {}` (operationId `{}`)", tool.method.as_str(), tool.path, tool.operation_id);
        if let Some(body) = tool.body.as_ref().filter(|b| b.is_multipart()) {
            // The bridge writes the request (progenitor has no multipart): the tool's
            // parameters (its table entry) and the file fields are all it needs.
            let files = &body.files;
            wrappers.push(quote! {
                #[doc = #doc]
                async fn #wrapper(c: &Client, a: &Args<'_>) -> CallOutcome {
                    crate::support::upload(c, a, &[#(#files),*]).await
                }
            });
            entries.push(table_entry(tool, &wrapper));
            continue;
        }
        let Some(method) = methods.get(&(tool.method.as_str().to_string(), tool.path.clone())) else {
            problems.push(Problem::operation(&label, "progenitor generated no client method for it"));
            continue;
        };
        let order = call_order(tool, method).unwrap_or_else(|| expected_order(tool));
        if order.len() != method.args.len() || (tool.body.is_some() && !method.args.iter().any(|(n, _)| n == BODY_ARG))
        {
            problems.push(Problem::operation(
                &label,
                format!(
                    "the generated client method `{}` takes ({}) but the operation declares ({}); progenitor's argument rules changed?",
                    method.ident,
                    method.args.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "),
                    order.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
                ),
            ));
            continue;
        }
        let args: Vec<TokenStream> =
            order.iter().zip(&method.args).map(|((loc, name), (_, ty))| argument(*loc, name, ty)).collect();
        let client_fn = &method.ident;
        let a = if args.is_empty() { format_ident!("_a") } else { format_ident!("a") };
        wrappers.push(quote! {
            #[doc = #doc]
            async fn #wrapper(c: &Client, #a: &Args<'_>) -> CallOutcome {
                finish(c, c.#client_fn(#(#args),*).await)
            }
        });
        entries.push(table_entry(tool, &wrapper));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let count = ir.tools.len();
    let resources: Vec<TokenStream> = ir.resources.iter().map(resource_entry).collect();
    let resource_count = resources.len();
    Ok(quote! {
        use crate::client::{Client, types};
        use crate::support::{
            Args, BodyKind, CallOutcome, Hints, Location, Method, ParamSpec, ResourceSpec, ResponseKind, ToolSpec,
            VariableSpec, finish,
        };

        /// Every generated tool, in spec order.
        pub static TOOLS: [ToolSpec; #count] = [#(#entries),*];

        /// The read-only tools that are also MCP resources (templates when the URI has variables).
        pub static RESOURCES: [ResourceSpec; #resource_count] = [#(#resources),*];

        #(#wrappers)*
    })
}

fn resource_entry(r: &super::ir::Resource) -> TokenStream {
    let (uri, name, description, tool) = (&r.uri, &r.name, &r.description, &r.tool);
    let title = match &r.title {
        Some(t) => quote!(Some(#t)),
        None => quote!(None),
    };
    let variables = r.variables.iter().map(|v| {
        let name = &v.name;
        let list = match &v.list_tool {
            Some(t) => quote!(Some(#t)),
            None => quote!(None),
        };
        let value = match &v.value_field {
            Some(f) => quote!(Some(#f)),
            None => quote!(None),
        };
        let labels = &v.label_fields;
        quote!(VariableSpec { name: #name, list_tool: #list, value_field: #value, label_fields: &[#(#labels),*] })
    });
    quote! {
        ResourceSpec {
            uri: #uri,
            name: #name,
            title: #title,
            description: #description,
            tool: #tool,
            variables: &[#(#variables),*],
        }
    }
}

fn table_entry(tool: &Tool, wrapper: &syn::Ident) -> TokenStream {
    let name = &tool.name;
    let title = match &tool.title {
        Some(t) => quote!(Some(#t)),
        None => quote!(None),
    };
    let description = &tool.description;
    let operation_id = &tool.operation_id;
    let method = method_variant(tool.method);
    let path = &tool.path;
    let tags = &tool.tags;
    let params = tool.params.iter().map(|p| {
        let n = &p.wire_name;
        let loc = format_ident!(
            "{}",
            match p.location {
                Location::Path => "Path",
                Location::Query => "Query",
                Location::Header => "Header",
            }
        );
        quote!(ParamSpec { name: #n, location: Location::#loc })
    });
    let context = tool.context.iter().map(|c| c.as_str());
    let body = match tool.body.as_ref().map(|b| b.kind()) {
        Some(kind) => {
            let kind = format_ident!("{kind:?}");
            quote!(Some(BodyKind::#kind))
        }
        None => quote!(None),
    };
    let body_schema = match tool.body.as_ref().and_then(|b| b.schema_name.as_deref()) {
        Some(name) => quote!(Some(#name)),
        None => quote!(None),
    };
    let wire = raw_literal(&serde_json::to_string(&tool.wire_schema).expect("schema serializes"));
    let output = match &tool.output_schema {
        Some(s) => {
            let lit = raw_literal(&serde_json::to_string(s).expect("schema serializes"));
            quote!(Some(#lit))
        }
        None => quote!(None),
    };
    let response = match &tool.response {
        ResponseShape::Object { .. } => quote!(ResponseKind::Object),
        ResponseShape::Wrapped { .. } => quote!(ResponseKind::Wrapped),
        ResponseShape::Empty => quote!(ResponseKind::Empty),
        ResponseShape::Text { .. } => quote!(ResponseKind::Text),
    };
    let a = tool.annotations;
    let (ro, de, id, ow) = (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint);
    quote! {
        ToolSpec {
            name: #name,
            title: #title,
            description: #description,
            operation_id: #operation_id,
            method: #method,
            path: #path,
            tags: &[#(#tags),*],
            params: &[#(#params),*],
            context: &[#(#context),*],
            body: #body,
            body_schema: #body_schema,
            wire_schema: #wire,
            output_schema: #output,
            response: #response,
            hints: Hints { read_only: #ro, destructive: #de, idempotent: #id, open_world: #ow },
            call: |c, a| Box::pin(#wrapper(c, a)),
        }
    }
}

/// Format generated tokens as a file: banner, prettyplease, LF, trailing newline.
pub fn format_file(banner: &str, tokens: TokenStream) -> Result<String, Problem> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| Problem::global(format!("generated code does not parse: {e}")))?;
    let body = prettyplease::unparse(&file);
    Ok(format!("{banner}\n{}", body.replace("\r\n", "\n")))
}
