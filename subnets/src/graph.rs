//! A rewrite of an ONNX model before ONNX Runtime loads it: embedding tables stored as int8
//! with a per-row scale are gathered *before* they are dequantized.
//!
//! MiniLM's file keeps its weights as int8 and dequantizes them in the graph
//! (`Gather(Mul(Cast(W), scale), ids)` for the embeddings). ONNX Runtime folds constant
//! subgraphs at load, so the 30522 × 384 vocabulary becomes 45 MiB of float32 that stays
//! resident although a request reads a few dozen rows of it. Gathering first —
//! `Mul(Cast(Gather(W, ids)), Gather(scale, ids))` — keeps the table int8 (11 MiB) and
//! computes exactly the same numbers: every element is still `float(w) × scale` of its row.
//!
//! The rewrite works on the protobuf wire format: fields it has no business with are copied
//! byte for byte, and any structure it does not expect leaves the model as it is.

use std::collections::{HashMap, HashSet};

/// ONNX `TensorProto.DataType` values.
const FLOAT: u64 = 1;
const INT8: u64 = 3;
/// ONNX `AttributeProto.AttributeType.INT`.
const ATTRIBUTE_INT: u64 = 2;

/// The model with every matching embedding lookup gathered before dequantizing, or `None`
/// if nothing matched or the bytes are not a model this rewrite understands.
pub(crate) fn gather_before_dequantize(model: &[u8]) -> Option<Vec<u8>> {
    let model_fields = fields(model)?;
    let mut graphs = model_fields.iter().filter(|f| f.number == 7);
    let graph = graphs.next()?.bytes()?;
    if graphs.next().is_some() {
        return None;
    }
    let graph = rewrite_graph(graph)?;
    let mut out = Vec::with_capacity(model.len());
    for field in &model_fields {
        if field.number == 7 {
            put_bytes(&mut out, 7, &graph);
        } else {
            out.extend_from_slice(field.raw);
        }
    }
    Some(out)
}

/// One lookup to rewrite: node indexes of the `Cast`, `Mul` and `Gather`, and the names of
/// the table, its scales, the indices and the result.
struct Lookup<'a> {
    cast: usize,
    mul: usize,
    gather: usize,
    table: &'a str,
    scales: &'a str,
    indices: &'a str,
    output: &'a str,
}

fn rewrite_graph(graph: &[u8]) -> Option<Vec<u8>> {
    let graph_fields = fields(graph)?;
    let mut nodes = Vec::new();
    let mut tensors = HashMap::new();
    // Every value a graph output names counts as consumed once more.
    let mut consumers: HashMap<&str, usize> = HashMap::new();
    for field in &graph_fields {
        match field.number {
            1 => {
                let node = Node::parse(field.bytes()?)?;
                // A subgraph (`If`, `Loop`, `Scan`) may read any outer value; counting
                // consumers there is not worth it for models that have none to rewrite.
                if node.has_subgraph {
                    return None;
                }
                nodes.push(node);
            }
            5 => {
                let tensor = Tensor::parse(field.bytes()?)?;
                tensors.insert(tensor.name, tensor);
            }
            12 => bump(&mut consumers, value_info_name(field.bytes()?)?),
            _ => {}
        }
    }
    for node in &nodes {
        for input in &node.inputs {
            bump(&mut consumers, input);
        }
    }
    let producer: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .flat_map(|(i, node)| node.outputs.iter().map(move |o| (*o, i)))
        .collect();
    let only_use = |value: &str| consumers.get(value) == Some(&1);

    let mut lookups = Vec::new();
    for (gather, node) in nodes.iter().enumerate() {
        let Some(lookup) = match_lookup(gather, node, &nodes, &producer, &tensors, &only_use)
        else {
            continue;
        };
        lookups.push(lookup);
    }
    if lookups.is_empty() {
        return None;
    }

    let mut names: HashSet<&str> = nodes
        .iter()
        .flat_map(|n| n.outputs.iter().chain(&n.inputs).chain(&n.name))
        .copied()
        .collect();
    names.extend(tensors.keys());
    let removed_nodes: HashSet<usize> = lookups.iter().flat_map(|l| [l.cast, l.mul]).collect();
    let removed_values: HashSet<&str> = lookups
        .iter()
        .flat_map(|l| {
            let (cast, mul) = (nodes.get(l.cast), nodes.get(l.mul));
            cast.into_iter()
                .chain(mul)
                .flat_map(|n| n.outputs.iter().copied())
        })
        .collect();
    let by_gather: HashMap<usize, &Lookup<'_>> = lookups.iter().map(|l| (l.gather, l)).collect();

    let mut out = Vec::with_capacity(graph.len());
    let mut node_index = 0usize;
    for field in &graph_fields {
        match field.number {
            1 => {
                let index = node_index;
                node_index = node_index.checked_add(1)?;
                if removed_nodes.contains(&index) {
                    continue;
                }
                match by_gather.get(&index) {
                    Some(lookup) => put_lookup(&mut out, lookup, &names)?,
                    None => out.extend_from_slice(field.raw),
                }
            }
            // Shapes recorded for values that no longer exist would only confuse a reader.
            13 if removed_values.contains(value_info_name(field.bytes()?)?) => {}
            _ => out.extend_from_slice(field.raw),
        }
    }
    Some(out)
}

fn bump<'a>(counts: &mut HashMap<&'a str, usize>, name: &'a str) {
    let count = counts.entry(name).or_insert(0);
    *count = count.saturating_add(1);
}

/// `Gather(Mul(Cast(W: int8 [R, E]) to float, S: float [R, 1]), ids)` along axis 0, with the
/// `Cast` and `Mul` results used nowhere else.
fn match_lookup<'a>(
    gather: usize,
    node: &Node<'a>,
    nodes: &[Node<'a>],
    producer: &HashMap<&'a str, usize>,
    tensors: &HashMap<&'a str, Tensor<'a>>,
    only_use: &impl Fn(&str) -> bool,
) -> Option<Lookup<'a>> {
    if !node.is("Gather") || node.attribute_int("axis").unwrap_or(0) != 0 {
        return None;
    }
    let [data, indices] = node.inputs[..] else {
        return None;
    };
    let [output] = node.outputs[..] else {
        return None;
    };
    let mul = *producer.get(data)?;
    let mul_node = nodes.get(mul)?;
    if !mul_node.is("Mul") || !only_use(data) {
        return None;
    }
    let [a, b] = mul_node.inputs[..] else {
        return None;
    };
    let (cast, scales) = [(a, b), (b, a)]
        .into_iter()
        .find_map(|(cast_out, scales)| {
            let cast = *producer.get(cast_out)?;
            nodes
                .get(cast)
                .filter(|n| n.is("Cast") && only_use(cast_out))
                .map(|_| (cast, scales))
        })?;
    let cast_node = nodes.get(cast)?;
    if cast_node.attribute_int("to") != Some(FLOAT) {
        return None;
    }
    let [table] = cast_node.inputs[..] else {
        return None;
    };
    let (table_tensor, scale_tensor) = (tensors.get(table)?, tensors.get(scales)?);
    let [rows, _] = table_tensor.dims[..] else {
        return None;
    };
    let per_row = scale_tensor.dims == [rows, 1];
    (table_tensor.data_type == INT8 && scale_tensor.data_type == FLOAT && per_row).then_some(
        Lookup {
            cast,
            mul,
            gather,
            table,
            scales,
            indices,
            output,
        },
    )
}

/// The four nodes that replace one lookup, at the `Gather`'s place (its indices are known
/// there; the table and scales are initializers).
fn put_lookup(out: &mut Vec<u8>, lookup: &Lookup<'_>, names: &HashSet<&str>) -> Option<()> {
    let rows = format!("{}/mindos_int8_rows", lookup.output);
    let row_scales = format!("{}/mindos_row_scales", lookup.output);
    let float_rows = format!("{}/mindos_float_rows", lookup.output);
    let fresh = [&rows, &row_scales, &float_rows];
    if fresh.iter().any(|n| names.contains(n.as_str())) {
        return None;
    }
    let mut to_float = Vec::new();
    put_bytes(&mut to_float, 1, b"to");
    put_varint_field(&mut to_float, 3, FLOAT);
    put_varint_field(&mut to_float, 20, ATTRIBUTE_INT);

    put_node(
        out,
        &rows,
        "Gather",
        &[lookup.table, lookup.indices],
        &rows,
        None,
    );
    put_node(
        out,
        &row_scales,
        "Gather",
        &[lookup.scales, lookup.indices],
        &row_scales,
        None,
    );
    put_node(
        out,
        &float_rows,
        "Cast",
        &[&rows],
        &float_rows,
        Some(&to_float),
    );
    put_node(
        out,
        &format!("{}/mindos_dequantize", lookup.output),
        "Mul",
        &[&float_rows, &row_scales],
        lookup.output,
        None,
    );
    Some(())
}

fn put_node(
    out: &mut Vec<u8>,
    name: &str,
    op_type: &str,
    inputs: &[&str],
    output: &str,
    attribute: Option<&[u8]>,
) {
    let mut node = Vec::new();
    for input in inputs {
        put_bytes(&mut node, 1, input.as_bytes());
    }
    put_bytes(&mut node, 2, output.as_bytes());
    put_bytes(&mut node, 3, name.as_bytes());
    put_bytes(&mut node, 4, op_type.as_bytes());
    if let Some(attribute) = attribute {
        put_bytes(&mut node, 5, attribute);
    }
    put_bytes(out, 1, &node);
}

/// What the rewrite reads of a `NodeProto`.
struct Node<'a> {
    inputs: Vec<&'a str>,
    outputs: Vec<&'a str>,
    name: Option<&'a str>,
    op_type: &'a str,
    domain: &'a str,
    /// `(name, i)` of each attribute (`i` is 0 when the attribute is not an integer).
    attributes: Vec<(&'a str, u64)>,
    /// Whether an attribute holds a graph.
    has_subgraph: bool,
}

impl<'a> Node<'a> {
    fn parse(bytes: &'a [u8]) -> Option<Self> {
        let mut node = Node {
            inputs: Vec::new(),
            outputs: Vec::new(),
            name: None,
            op_type: "",
            domain: "",
            attributes: Vec::new(),
            has_subgraph: false,
        };
        for field in fields(bytes)? {
            match field.number {
                1 => node.inputs.push(field.text()?),
                2 => node.outputs.push(field.text()?),
                3 => node.name = Some(field.text()?),
                4 => node.op_type = field.text()?,
                5 => {
                    let (name, value, graph) = attribute(field.bytes()?)?;
                    node.attributes.push((name, value));
                    node.has_subgraph |= graph;
                }
                7 => node.domain = field.text()?,
                _ => {}
            }
        }
        Some(node)
    }

    /// An operator of the default ONNX domain.
    fn is(&self, op_type: &str) -> bool {
        self.op_type == op_type && (self.domain.is_empty() || self.domain == "ai.onnx")
    }

    /// The integer attribute `name`; `None` if absent. Any other attribute makes the node
    /// unfit for rewriting, which callers see as a value that does not match.
    fn attribute_int(&self, name: &str) -> Option<u64> {
        if self.attributes.iter().any(|(n, _)| *n != name) {
            return Some(u64::MAX);
        }
        self.attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, i)| *i)
    }
}

/// An attribute's name, its integer value (0 if it has none) and whether it holds a graph
/// (`AttributeProto.g` or `.graphs`).
fn attribute(bytes: &[u8]) -> Option<(&str, u64, bool)> {
    let (mut name, mut value, mut graph) = (None, 0, false);
    for field in fields(bytes)? {
        match (field.number, field.value) {
            (1, _) => name = Some(field.text()?),
            (3, Value::Varint(i)) => value = i,
            (6 | 11, _) => graph = true,
            _ => {}
        }
    }
    Some((name?, value, graph))
}

/// What the rewrite reads of a `TensorProto`.
struct Tensor<'a> {
    name: &'a str,
    data_type: u64,
    dims: Vec<u64>,
}

impl<'a> Tensor<'a> {
    fn parse(bytes: &'a [u8]) -> Option<Self> {
        let mut tensor = Tensor {
            name: "",
            data_type: 0,
            dims: Vec::new(),
        };
        for field in fields(bytes)? {
            match (field.number, field.value) {
                (1, Value::Varint(d)) => tensor.dims.push(d),
                (1, Value::Bytes(packed)) => {
                    let mut pos = 0;
                    while pos < packed.len() {
                        tensor.dims.push(read_varint(packed, &mut pos)?);
                    }
                }
                (2, Value::Varint(t)) => tensor.data_type = t,
                (8, _) => tensor.name = field.text()?,
                _ => {}
            }
        }
        Some(tensor)
    }
}

fn value_info_name(bytes: &[u8]) -> Option<&str> {
    fields(bytes)?
        .into_iter()
        .find(|f| f.number == 1)
        .and_then(|f| f.text())
}

#[derive(Clone, Copy)]
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// One protobuf field: its number, its value and its bytes as they stand in the message.
struct Field<'a> {
    number: u64,
    value: Value<'a>,
    raw: &'a [u8],
}

impl<'a> Field<'a> {
    fn bytes(&self) -> Option<&'a [u8]> {
        match self.value {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    fn text(&self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }
}

fn fields(buf: &[u8]) -> Option<Vec<Field<'_>>> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < buf.len() {
        let start = pos;
        let key = read_varint(buf, &mut pos)?;
        let value = match key & 7 {
            0 => Value::Varint(read_varint(buf, &mut pos)?),
            1 => {
                pos = pos.checked_add(8)?;
                Value::Fixed
            }
            2 => {
                let len = usize::try_from(read_varint(buf, &mut pos)?).ok()?;
                let end = pos.checked_add(len)?;
                let bytes = buf.get(pos..end)?;
                pos = end;
                Value::Bytes(bytes)
            }
            5 => {
                pos = pos.checked_add(4)?;
                Value::Fixed
            }
            _ => return None,
        };
        out.push(Field {
            number: key >> 3,
            value,
            raw: buf.get(start..pos)?,
        });
    }
    Some(out)
}

fn read_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos)?;
        *pos = pos.checked_add(1)?;
        value |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let low = u8::try_from(value & 0x7f).unwrap_or(0);
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn put_varint_field(out: &mut Vec<u8>, number: u64, value: u64) {
    put_varint(out, number << 3);
    put_varint(out, value);
}

fn put_bytes(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
    put_varint(out, (number << 3) | 2);
    put_varint(out, u64::try_from(bytes.len()).unwrap_or(u64::MAX));
    out.extend_from_slice(bytes);
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use ndarray::Array1;
    use ort::{session::Session, value::Tensor as OrtTensor};

    use super::*;
    use crate::{runtime::environment, EngineConfig};

    /// A `ValueInfoProto` of a tensor with element type `elem_type` and unknown shape.
    fn value_info(name: &str, elem_type: u64) -> Vec<u8> {
        let mut tensor_type = Vec::new();
        put_varint_field(&mut tensor_type, 1, elem_type);
        let mut type_proto = Vec::new();
        put_bytes(&mut type_proto, 1, &tensor_type);
        let mut info = Vec::new();
        put_bytes(&mut info, 1, name.as_bytes());
        put_bytes(&mut info, 2, &type_proto);
        info
    }

    fn initializer(name: &str, data_type: u64, dims: &[u64], raw: &[u8]) -> Vec<u8> {
        let mut t = Vec::new();
        for d in dims {
            put_varint_field(&mut t, 1, *d);
        }
        put_varint_field(&mut t, 2, data_type);
        put_bytes(&mut t, 8, name.as_bytes());
        put_bytes(&mut t, 9, raw);
        t
    }

    /// `y = Gather(Mul(Cast(table), scales), ids)` with a 4 × 3 int8 table; with `leak`, the
    /// dequantized table is a graph output too (so it must stay).
    fn lookup_model(leak: bool) -> Vec<u8> {
        lookup_model_with(leak, None)
    }

    /// [`lookup_model`], with the node `extra` appended to the graph.
    fn lookup_model_with(leak: bool, extra: Option<&[u8]>) -> Vec<u8> {
        let table: Vec<u8> = [-128i8, -3, 0, 1, 2, 127, 50, -50, 7, -1, 64, -64]
            .iter()
            .map(|v| v.to_le_bytes()[0])
            .collect();
        let scales: Vec<u8> = [0.5f32, 0.1, 3.0e-3, 1.7]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let mut to_float = Vec::new();
        put_bytes(&mut to_float, 1, b"to");
        put_varint_field(&mut to_float, 3, FLOAT);
        put_varint_field(&mut to_float, 20, ATTRIBUTE_INT);

        let mut graph = Vec::new();
        put_node(
            &mut graph,
            "cast",
            "Cast",
            &["table"],
            "table_f",
            Some(&to_float),
        );
        put_node(
            &mut graph,
            "mul",
            "Mul",
            &["table_f", "scales"],
            "dequantized",
            None,
        );
        put_node(
            &mut graph,
            "gather",
            "Gather",
            &["dequantized", "ids"],
            "y",
            None,
        );
        if let Some(extra) = extra {
            put_bytes(&mut graph, 1, extra);
        }
        put_bytes(&mut graph, 2, b"lookup");
        put_bytes(&mut graph, 5, &initializer("table", INT8, &[4, 3], &table));
        put_bytes(
            &mut graph,
            5,
            &initializer("scales", FLOAT, &[4, 1], &scales),
        );
        put_bytes(&mut graph, 11, &value_info("ids", 7));
        put_bytes(&mut graph, 12, &value_info("y", FLOAT));
        if leak {
            put_bytes(&mut graph, 12, &value_info("dequantized", FLOAT));
        }
        put_bytes(&mut graph, 13, &value_info("table_f", FLOAT));

        let mut opset = Vec::new();
        put_bytes(&mut opset, 1, b"");
        put_varint_field(&mut opset, 2, 17);
        let mut model = Vec::new();
        put_varint_field(&mut model, 1, 8);
        put_bytes(&mut model, 7, &graph);
        put_bytes(&mut model, 8, &opset);
        model
    }

    /// `(op_type, name)` of every node of `model`'s graph, in order.
    fn graph_nodes(model: &[u8]) -> Vec<(String, Option<String>)> {
        let model_fields = fields(model).unwrap();
        let graph = model_fields.iter().find(|f| f.number == 7).unwrap();
        fields(graph.bytes().unwrap())
            .unwrap()
            .iter()
            .filter(|f| f.number == 1)
            .map(|f| {
                let node = Node::parse(f.bytes().unwrap()).unwrap();
                (node.op_type.to_owned(), node.name.map(str::to_owned))
            })
            .collect()
    }

    fn op_types(model: &[u8]) -> Vec<String> {
        graph_nodes(model).into_iter().map(|(op, _)| op).collect()
    }

    fn run(model: &[u8], ids: &[i64]) -> Vec<f32> {
        let env = environment(&EngineConfig::default())
            .expect("the ONNX Runtime library (scripts/setup.sh)");
        let mut session = Session::builder(&env)
            .unwrap()
            .commit_from_memory(model)
            .unwrap();
        let ids = OrtTensor::from_array(Array1::from(ids.to_vec())).unwrap();
        let outputs = session.run(ort::inputs!["ids" => ids]).unwrap();
        let (_, y) = outputs["y"].try_extract_tensor::<f32>().unwrap();
        y.to_vec()
    }

    #[test]
    fn lookups_gather_int8_rows_and_compute_the_same_numbers() {
        let original = lookup_model(false);
        let rewritten = gather_before_dequantize(&original).expect("the lookup matches");
        assert_eq!(op_types(&rewritten), ["Gather", "Gather", "Cast", "Mul"]);
        let ids = [3, 0, 0, 2, 1];
        let (before, after) = (run(&original, &ids), run(&rewritten, &ids));
        assert_eq!(before.len(), 15);
        // Bit for bit: the same float(w) * scale for every element.
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&before), bits(&after));
    }

    #[test]
    fn minilm_keeps_its_word_and_position_tables_int8() {
        let path = EngineConfig::default()
            .models_dir()
            .join("text-embedding/model.onnx");
        let model = std::fs::read(&path).expect("MiniLM (scripts/setup.sh)");
        let rewritten = gather_before_dequantize(&model).expect("MiniLM's lookups match");
        let (before, after) = (graph_nodes(&model), graph_nodes(&rewritten));
        let dequantized: Vec<_> = after
            .iter()
            .filter(|(_, name)| {
                name.as_deref()
                    .is_some_and(|n| n.ends_with("/mindos_dequantize"))
            })
            .collect();
        // Word and position embeddings; the token-type table is float already.
        assert_eq!(dequantized.len(), 2);
        // Each lookup: Cast + Mul + Gather became Gather + Gather + Cast + Mul.
        assert_eq!(after.len(), before.len() + 2);
    }

    #[test]
    fn a_table_used_elsewhere_or_a_foreign_model_is_left_alone() {
        assert!(gather_before_dequantize(&lookup_model(true)).is_none());
        // A node with a subgraph (which could read the dequantized table) stops the rewrite.
        let mut then_branch = Vec::new();
        put_bytes(&mut then_branch, 1, b"then_branch");
        put_bytes(&mut then_branch, 6, b"");
        let mut branch = Vec::new();
        put_bytes(&mut branch, 1, b"flag");
        put_bytes(&mut branch, 2, b"z");
        put_bytes(&mut branch, 4, b"If");
        put_bytes(&mut branch, 5, &then_branch);
        assert!(gather_before_dequantize(&lookup_model_with(false, None)).is_some());
        assert!(gather_before_dequantize(&lookup_model_with(false, Some(&branch))).is_none());
        assert!(gather_before_dequantize(b"not a model \xff\xff\xff").is_none());
        assert!(gather_before_dequantize(&[]).is_none());
        // Cut inside its graph, the model is refused rather than half-rewritten.
        let model = lookup_model(false);
        let opset_len = fields(&model).unwrap().last().unwrap().raw.len();
        for len in 1..model.len() - opset_len {
            assert!(
                gather_before_dequantize(&model[..len]).is_none(),
                "cut at {len}"
            );
        }
    }
}
