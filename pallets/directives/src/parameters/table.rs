//! `governed_parameters!`: the one declaration a governed parameter needs.
//!
//! Everything that only restates the list of parameters is generated from one table entry
//! per parameter: the registry [`GovernedParameters`](super::GovernedParameters) and its launch
//! values (`Default`), the [`ParameterValue`](super::ParameterValue) a `SetParameter` proposal
//! carries and the [`Parameter`](super::Parameter) it names, `ParameterValue::parameter` and
//! `ParameterValue::apply_to`, and a `Get` adapter per registry field. What the values must
//! satisfy is not in the table: the rules, most of them across fields, stay hand-written in
//! [`GovernedParameters::validate`](super::GovernedParameters::validate).
//!
//! # Entries
//!
//! - `field: Type = launch => Variant as Adapter;` — a registry field, set by a one-value
//!   variant `Variant(Type)` and read by `Adapter`.
//! - `Variant { field: Type = launch => name as Adapter; … }` — several registry fields set
//!   together by a struct variant `Variant { name: Type, … }`, for values that constrain each
//!   other and so cannot change one at a time.
//! - `Variant(Type) outside the registry;` — a value a proposal sets somewhere else (a subnet's
//!   hyperparameters); `apply_to` refuses it with
//!   [`ParameterError::NotANetworkParameter`](super::ParameterError::NotANetworkParameter).
//!
//! An entry's doc comment documents its field, its variant, its `Parameter` and its adapter.
//! A `#[serde(with = "…")]` on a field applies to the field and to the variant's value alike,
//! so the registry and a proposal show a value the same way in JSON.
//!
//! SCALE encodes struct fields and enum variants by position, and storage and the chain
//! client decode them so: entries are only ever appended, never reordered or removed.

/// Generates the registry types from the table; see the [module docs](self).
///
/// The entries are first rewritten one by one (`@entries`) into a common shape, carrying
/// the variant's definition and match pattern ready-made, so that the last rule can
/// generate every item from plain repetitions.
macro_rules! governed_parameters {
    // A registry field set by a one-value variant.
    (@entries [$($done:tt)*]
        $(#[doc = $doc:literal])*
        $(#[serde(with = $with:literal)])?
        $field:ident: $ty:ty = $launch:expr => $variant:ident as $adapter:ident;
        $($rest:tt)*
    ) => {
        governed_parameters!(@entries [$($done)* {
            $variant [$(#[doc = $doc])*]
            [($(#[serde(with = $with)])? $ty)]
            [($field)]
            [{ [$(#[doc = $doc])*] [$(#[serde(with = $with)])?] $field [$ty] [$launch] $adapter }]
            []
        }] $($rest)*);
    };
    // Registry fields set together by one struct variant.
    (@entries [$($done:tt)*]
        $(#[doc = $variant_doc:literal])*
        $variant:ident {
            $(
                $(#[doc = $doc:literal])*
                $(#[serde(with = $with:literal)])?
                $field:ident: $ty:ty = $launch:expr => $name:ident as $adapter:ident;
            )+
        }
        $($rest:tt)*
    ) => {
        governed_parameters!(@entries [$($done)* {
            $variant [$(#[doc = $variant_doc])*]
            [{ $($(#[doc = $doc])* $(#[serde(with = $with)])? $name: $ty,)+ }]
            [{ $($name: $field,)+ }]
            [$({
                [$(#[doc = $doc])*] [$(#[serde(with = $with)])?] $field [$ty] [$launch] $adapter
            })+]
            []
        }] $($rest)*);
    };
    // A variant for a value that does not live in the registry.
    (@entries [$($done:tt)*]
        $(#[doc = $doc:literal])*
        $variant:ident($ty:ty) outside the registry;
        $($rest:tt)*
    ) => {
        governed_parameters!(@entries [$($done)* {
            $variant [$(#[doc = $doc])*]
            [($ty)]
            [(_)]
            []
            [return Err(ParameterError::NotANetworkParameter);]
        }] $($rest)*);
    };
    // Every entry rewritten: each is its variant, the variant's docs, its definition, its match
    // pattern (binding each field's new value to the field's name), its registry fields, and
    // what `apply_to` does instead of writing them.
    (@entries [$({
        $variant:ident [$($variant_doc:tt)*] [$($definition:tt)*] [$($pattern:tt)*]
        [$({ [$($doc:tt)*] [$($serde:tt)*] $field:ident [$ty:ty] [$launch:expr] $adapter:ident })*]
        [$($refusal:tt)*]
    })*]) => {
        /// Every parameter governance owns, in one storage value. Other pallets read it through
        /// [`crate::ConsensusParameters`], [`crate::SentinelParameters`] and the `Get` adapters
        /// (e.g. [`BurnFloor`]), never through compile-time constants.
        ///
        /// In JSON (`mindos_parameters`, chain specs) balances are decimal strings in planck
        /// (JavaScript numbers lose precision above 2^53); block numbers and counts are numbers.
        #[derive(
            Clone,
            Debug,
            PartialEq,
            Eq,
            Encode,
            Decode,
            DecodeWithMemTracking,
            MaxEncodedLen,
            TypeInfo,
            Serialize,
            Deserialize,
        )]
        #[serde(rename_all = "camelCase")]
        #[serde(bound(
            serialize = "Balance: Copy + TryInto<u128>, BlockNumber: Serialize",
            deserialize = "Balance: TryFrom<u128>, BlockNumber: Deserialize<'de>"
        ))]
        pub struct GovernedParameters<Balance, BlockNumber> {
            $($(
                $($doc)*
                $($serde)*
                pub $field: $ty,
            )*)*
        }

        impl<Balance: AtLeast32BitUnsigned, BlockNumber: AtLeast32BitUnsigned> Default
            for GovernedParameters<Balance, BlockNumber>
        {
            /// MindOS at launch: the values in the table.
            fn default() -> Self {
                Self {
                    $($($field: $launch,)*)*
                }
            }
        }

        /// Which governed parameter a [`ParameterValue`] sets (for events and views).
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            Encode,
            Decode,
            DecodeWithMemTracking,
            MaxEncodedLen,
            TypeInfo,
            Serialize,
            Deserialize,
        )]
        #[serde(rename_all = "camelCase")]
        pub enum Parameter {
            $(
                $($variant_doc)*
                $variant,
            )*
        }

        /// The one change a `SetParameter` proposal makes: the variant names the parameter, its
        /// value is the new value. In JSON balances are decimal strings in planck, as in
        /// [`GovernedParameters`].
        #[derive(
            Clone,
            Debug,
            PartialEq,
            Eq,
            Encode,
            Decode,
            DecodeWithMemTracking,
            MaxEncodedLen,
            TypeInfo,
            Serialize,
            Deserialize,
        )]
        #[serde(rename_all = "camelCase")]
        #[serde(bound(
            serialize = "Balance: Copy + TryInto<u128>, BlockNumber: Serialize",
            deserialize = "Balance: TryFrom<u128>, BlockNumber: Deserialize<'de>"
        ))]
        pub enum ParameterValue<Balance, BlockNumber> {
            $(
                $($variant_doc)*
                $variant $($definition)*,
            )*
        }

        impl<Balance: Clone, BlockNumber: Clone> ParameterValue<Balance, BlockNumber> {
            /// Which parameter this sets.
            pub fn parameter(&self) -> Parameter {
                match self {
                    $(Self::$variant { .. } => Parameter::$variant,)*
                }
            }

            /// Writes this value into `params`. Refuses a value outside the registry (subnet
            /// hyperparameters). Does not validate: call [`GovernedParameters::validate`] on the
            /// result.
            pub fn apply_to(
                &self,
                params: &mut GovernedParameters<Balance, BlockNumber>,
            ) -> Result<(), ParameterError> {
                match self.clone() {
                    $(Self::$variant $($pattern)* => {
                        $(params.$field = $field;)*
                        $($refusal)*
                    })*
                }
                Ok(())
            }
        }

        $($(
            #[doc = concat!(
                "A `Get` adapter for [`GovernedParameters::",
                stringify!($field),
                "`]:"
            )]
            #[doc = ""]
            $($doc)*
            pub struct $adapter<S>(PhantomData<S>);

            impl<S, Balance, BlockNumber> Get<$ty> for $adapter<S>
            where
                S: ParameterSource<Balance = Balance, BlockNumber = BlockNumber>,
            {
                fn get() -> $ty {
                    S::parameters().$field
                }
            }
        )*)*
    };
    // Anything else is a mistake in the table: say where, instead of recursing to the limit.
    (@entries [$($done:tt)*] $($unread:tt)+) => {
        compile_error!(concat!(
            "governed_parameters!: not an entry (see the module docs): ",
            stringify!($($unread)+)
        ));
    };
    // The entry point.
    ($($table:tt)*) => {
        governed_parameters!(@entries [] $($table)*);
    };
}

pub(super) use governed_parameters;
