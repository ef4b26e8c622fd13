"""The recipe of the shipped Monet generator, on the lab: its settings, its model, its tricks, its networks.

`config` (`RecipeConfig`: the lab's `TrainConfig` with the recipe's settings,
and `RECIPE`, the shipped run's), `cyclegan` (`RecipeCycleGAN`: the lab's
`CycleGAN` with the recipe's tricks in its step), `tricks` (DiffAugment, the
image pool, learning-rate schedules, the moving average of weights),
`networks` (the lab's networks with the recipe's options), `layers` (a blur,
a notch, the sub-pixel upsampling), `projected` and `efficientnet`
(discriminators that look through a frozen ImageNet network). The recipe
builds on the lab's modules; the lab imports nothing from it.
"""
